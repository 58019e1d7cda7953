<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="fr">
<context>
    <name>SegEarth</name>
    <message>
        <source>loading model</source>
        <translation>chargement du modèle</translation>
    </message>
    <message>
        <source>preparing the model (once)</source>
        <translation>préparation du modèle (une seule fois)</translation>
    </message>
    <message>
        <source>{} (cancelled)</source>
        <translation>{} (annulé)</translation>
    </message>
    <message>
        <source>reading pixels</source>
        <translation>lecture des pixels</translation>
    </message>
    <message>
        <source>encoding</source>
        <translation>encodage</translation>
    </message>
    <message>
        <source>reasoning</source>
        <translation>raisonnement</translation>
    </message>
    <message>
        <source>decoding</source>
        <translation>décodage</translation>
    </message>
    <message>
        <source>vectorising</source>
        <translation>vectorisation</translation>
    </message>
    <message>
        <source>SegEarth</source>
        <translation>SegEarth</translation>
    </message>
    <message>
        <source>Raster layer</source>
        <translation>Couche raster</translation>
    </message>
    <message>
        <source>Ask about the layer, e.g. where could a small plane land?</source>
        <translation>Posez une question sur la couche, p. ex. où un petit avion pourrait-il atterrir ?</translation>
    </message>
    <message>
        <source>Enter runs; Shift+Enter starts a new line</source>
        <translation>Entrée lance ; Maj+Entrée commence une nouvelle ligne</translation>
    </message>
    <message>
        <source>Question</source>
        <translation>Question</translation>
    </message>
    <message>
        <source>Reasoning (implicit question)</source>
        <translation>Raisonnement (question implicite)</translation>
    </message>
    <message>
        <source>Referring (name the object)</source>
        <translation>Désignation (nommer l'objet)</translation>
    </message>
    <message>
        <source>Task</source>
        <translation>Tâche</translation>
    </message>
    <message>
        <source>Whole layer</source>
        <translation>Couche entière</translation>
    </message>
    <message>
        <source>Visible map extent</source>
        <translation>Emprise visible de la carte</translation>
    </message>
    <message>
        <source>Extent</source>
        <translation>Emprise</translation>
    </message>
    <message>
        <source>Single view (fast, resampled)</source>
        <translation>Vue unique (rapide, rééchantillonnée)</translation>
    </message>
    <message>
        <source>Tiled (full resolution)</source>
        <translation>Tuilé (pleine résolution)</translation>
    </message>
    <message>
        <source>native</source>
        <translation>native</translation>
    </message>
    <message>
        <source>Map units per pixel for tiled runs; 0 uses the layer's own resolution</source>
        <translation>Unités de carte par pixel pour le mode tuilé ; 0 utilise la résolution de la couche</translation>
    </message>
    <message>
        <source>Mode</source>
        <translation>Mode</translation>
    </message>
    <message>
        <source>Resolution</source>
        <translation>Résolution</translation>
    </message>
    <message>
        <source>Bands (R, G, B)</source>
        <translation>Bandes (R, V, B)</translation>
    </message>
    <message>
        <source>Run</source>
        <translation>Lancer</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Annuler</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>Exporter…</translation>
    </message>
    <message>
        <source>Export the selected result layer to a Shapefile or GeoPackage</source>
        <translation>Exporter la couche de résultat sélectionnée en Shapefile ou GeoPackage</translation>
    </message>
    <message>
        <source>Ready</source>
        <translation>Prêt</translation>
    </message>
    <message>
        <source>Past questions on this layer (click to run again)</source>
        <translation>Questions posées sur cette couche (cliquer pour relancer)</translation>
    </message>
    <message>
        <source>Choose a raster layer first</source>
        <translation>Choisissez d'abord une couche raster</translation>
    </message>
    <message>
        <source>Type a question first</source>
        <translation>Saisissez d'abord une question</translation>
    </message>
    <message>
        <source>Choose a model folder (or download a model) first</source>
        <translation>Choisissez d'abord un dossier de modèle (ou téléchargez un modèle)</translation>
    </message>
    <message>
        <source>The visible map extent does not overlap the layer</source>
        <translation>L'emprise visible de la carte ne recouvre pas la couche</translation>
    </message>
    <message>
        <source>Choose a .shp or .gpkg file name</source>
        <translation>Choisissez un nom de fichier .shp ou .gpkg</translation>
    </message>
    <message>
        <source>SegEarth answer to: {}</source>
        <translation>Réponse de SegEarth à : {}</translation>
    </message>
    <message>
        <source>Model files present</source>
        <translation>Fichiers du modèle présents</translation>
    </message>
    <message>
        <source>No model folder chosen</source>
        <translation>Aucun dossier de modèle choisi</translation>
    </message>
    <message>
        <source>Test model (random weights): results are meaningless</source>
        <translation>Modèle de test (poids aléatoires) : les résultats n'ont aucun sens</translation>
    </message>
    <message>
        <source>Folder does not exist: {}</source>
        <translation>Le dossier n'existe pas : {}</translation>
    </message>
    <message>
        <source>Missing files: {}</source>
        <translation>Fichiers manquants : {}</translation>
    </message>
    <message>
        <source>config.json cannot be read: {}</source>
        <translation>config.json illisible : {}</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modèle</translation>
    </message>
    <message>
        <source>Model folder</source>
        <translation>Dossier du modèle</translation>
    </message>
    <message>
        <source>Folder</source>
        <translation>Dossier</translation>
    </message>
    <message>
        <source>revision (commit)</source>
        <translation>révision (commit)</translation>
    </message>
    <message>
        <source>Download</source>
        <translation>Télécharger</translation>
    </message>
    <message>
        <source>Download the pinned revision from Hugging Face and check its sha256</source>
        <translation>Télécharger la révision épinglée depuis Hugging Face et vérifier son sha256</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>État</translation>
    </message>
    <message>
        <source>not loaded</source>
        <translation>non chargé</translation>
    </message>
    <message>
        <source>loading…</source>
        <translation>chargement…</translation>
    </message>
    <message>
        <source>not loaded: {}</source>
        <translation>non chargé : {}</translation>
    </message>
    <message>
        <source>SegEarth: loading the model</source>
        <translation>SegEarth : chargement du modèle</translation>
    </message>
    <message>
        <source>Low memory</source>
        <translation>Mémoire réduite</translation>
    </message>
    <message>
        <source>For 8 GB machines: release the language model between questions and the image encoder after encoding; each question then loads them again (slower)</source>
        <translation>Pour les machines de 8 Go : libère le modèle de langage entre les questions et l’encodeur d’image après l’encodage ; chaque question les recharge alors (plus lent)</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>Matériel</translation>
    </message>
    <message>
        <source>Diagnostics</source>
        <translation>Diagnostic</translation>
    </message>
    <message>
        <source>Copy a report of versions, providers and GPU to the clipboard</source>
        <translation>Copier dans le presse-papiers un rapport des versions, fournisseurs d'exécution et GPU</translation>
    </message>
    <message>
        <source>Install dependencies…</source>
        <translation>Installer les dépendances…</translation>
    </message>
    <message>
        <source>test model (random weights)</source>
        <translation>modèle de test (poids aléatoires)</translation>
    </message>
    <message>
        <source>Loaded: {}</source>
        <translation>Chargé : {}</translation>
    </message>
    <message>
        <source>Missing Python packages: {}</source>
        <translation>Paquets Python manquants : {}</translation>
    </message>
    <message>
        <source>SegEarth panel</source>
        <translation>Panneau SegEarth</translation>
    </message>
    <message>
        <source>Segment selected extent</source>
        <translation>Segmenter l'emprise sélectionnée</translation>
    </message>
    <message>
        <source>Segment visible extent</source>
        <translation>Segmenter l'emprise visible</translation>
    </message>
    <message>
        <source>Export SegEarth result…</source>
        <translation>Exporter le résultat SegEarth…</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>Démarrage…</translation>
    </message>
    <message>
        <source>Drag a rectangle on the map</source>
        <translation>Tracez un rectangle sur la carte</translation>
    </message>
    <message>
        <source>Export SegEarth result</source>
        <translation>Exporter le résultat SegEarth</translation>
    </message>
    <message>
        <source>Shapefile (*.shp)</source>
        <translation>Shapefile (*.shp)</translation>
    </message>
    <message>
        <source>GeoPackage (*.gpkg)</source>
        <translation>GeoPackage (*.gpkg)</translation>
    </message>
    <message>
        <source>Diagnostics copied to the clipboard</source>
        <translation>Diagnostic copié dans le presse-papiers</translation>
    </message>
    <message>
        <source>A question is already running; cancel it first</source>
        <translation>Une question est déjà en cours ; annulez-la d'abord</translation>
    </message>
    <message>
        <source>The raster layer is no longer in the project</source>
        <translation>La couche raster n'est plus dans le projet</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>Annulation…</translation>
    </message>
    <message>
        <source>Cancelled; nothing was added</source>
        <translation>Annulé ; rien n'a été ajouté</translation>
    </message>
    <message>
        <source>The rectangle does not overlap the layer</source>
        <translation>Le rectangle ne recouvre pas la couche</translation>
    </message>
    <message>
        <source>Select a SegEarth result layer to export</source>
        <translation>Sélectionnez une couche de résultat SegEarth à exporter</translation>
    </message>
    <message>
        <source>Type a Hugging Face repo id first</source>
        <translation>Saisissez d'abord un identifiant de dépôt Hugging Face</translation>
    </message>
    <message>
        <source>Done: {} polygons</source>
        <translation>Terminé : {} polygones</translation>
    </message>
    <message>
        <source>{} exists. Replace it?</source>
        <translation>{} existe. Le remplacer ?</translation>
    </message>
    <message>
        <source>Exported to {}</source>
        <translation>Exporté vers {}</translation>
    </message>
    <message>
        <source>SegEarth: {}</source>
        <translation>SegEarth : {}</translation>
    </message>
    <message>
        <source>Failed: {}</source>
        <translation>Échec : {}</translation>
    </message>
    <message>
        <source>{} polygons from a TEST model with random weights: they mean nothing</source>
        <translation>{} polygones d'un modèle de TEST aux poids aléatoires : ils n'ont aucun sens</translation>
    </message>
    <message>
        <source>{} polygons for: {}</source>
        <translation>{} polygones pour : {}</translation>
    </message>
    <message>
        <source>{} exists; nothing was written</source>
        <translation>{} existe ; rien n'a été écrit</translation>
    </message>
    <message>
        <source>Installation failed: {}</source>
        <translation>Échec de l'installation : {}</translation>
    </message>
    <message>
        <source>Segment raster by question</source>
        <translation>Segmenter un raster par une question</translation>
    </message>
    <message>
        <source>Answer polygons</source>
        <translation>Polygones de la réponse</translation>
    </message>
    <message>
        <source>A raster layer and a question are required</source>
        <translation>Une couche raster et une question sont nécessaires</translation>
    </message>
    <message>
        <source>Model {} on {}</source>
        <translation>Modèle {} sur {}</translation>
    </message>
    <message>
        <source>SegEarth results</source>
        <translation>Résultats SegEarth</translation>
    </message>
    <message>
        <source>Asks SegEarth-R1 or SegEarth-R2 a question about a raster and writes the answer as polygons in the raster's CRS. SegEarth-R2 can name several targets: each polygon then carries its target's phrase (target) and number (target_idx), and the text answer is shown in the log.</source>
        <translation>Pose une question à SegEarth-R1 ou SegEarth-R2 sur un raster et écrit la réponse sous forme de polygones dans le SCR du raster. SegEarth-R2 peut nommer plusieurs cibles : chaque polygone porte alors la phrase de sa cible (target) et son numéro (target_idx), et la réponse textuelle est affichée dans le journal.</translation>
    </message>
    <message>
        <source>Done: {} polygons for {} targets</source>
        <translation>Terminé : {} polygones pour {} cibles</translation>
    </message>
    <message>
        <source>Model's answer</source>
        <translation>Réponse du modèle</translation>
    </message>
    <message>
        <source>Model's answer: {}</source>
        <translation>Réponse du modèle : {}</translation>
    </message>
    <message>
        <source>SegEarth targets</source>
        <translation>Cibles SegEarth</translation>
    </message>
    <message>
        <source>SegEarth-R2 answers once for the whole extent: tiles could name different targets, so only the single view is offered</source>
        <translation>SegEarth-R2 répond une seule fois pour toute l'emprise : des tuiles pourraient nommer des cibles différentes, seule la vue unique est donc proposée</translation>
    </message>
    <message>
        <source>SegEarth-R2 model files present: one question can return several targets</source>
        <translation>Fichiers du modèle SegEarth-R2 présents : une question peut renvoyer plusieurs cibles</translation>
    </message>
    <message>
        <source>SegEarth-R2 models answer in single view mode only</source>
        <translation>Les modèles SegEarth-R2 ne répondent qu'en mode vue unique</translation>
    </message>
    <message>
        <source>SegEarth-R2 reads the question itself (one prompt for referring and reasoning): there is no task to choose</source>
        <translation>SegEarth-R2 interprète la question lui-même (une seule consigne pour la désignation et le raisonnement) : aucune tâche à choisir</translation>
    </message>
    <message>
        <source>SegEarth-R2 test model (random weights): results are meaningless</source>
        <translation>Modèle de test SegEarth-R2 (poids aléatoires) : les résultats n'ont aucun sens</translation>
    </message>
    <message>
        <source>The text the model wrote; [1], [2]… mark where it named each target</source>
        <translation>Le texte écrit par le modèle ; [1], [2]… marquent l'endroit où il a nommé chaque cible</translation>
    </message>
    <message>
        <source>Already in QGIS, removed from the folder: {}</source>
        <translation>Déjà dans QGIS, retiré du dossier : {}</translation>
    </message>
    <message>
        <source>Cancelled; nothing was changed</source>
        <translation>Annulé ; rien n&apos;a été modifié</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Fermer</translation>
    </message>
    <message>
        <source>Folder of wheels</source>
        <translation>Dossier de wheels</translation>
    </message>
    <message>
        <source>Folder: {}</source>
        <translation>Dossier : {}</translation>
    </message>
    <message>
        <source>From your system, not from pip (they must use QGIS&apos;s own GDAL): {}</source>
        <translation>Depuis votre système, pas depuis pip (ils doivent utiliser le GDAL de QGIS) : {}</translation>
    </message>
    <message>
        <source>From: {}</source>
        <translation>Source : {}</translation>
    </message>
    <message>
        <source>Install</source>
        <translation>Installer</translation>
    </message>
    <message>
        <source>Install SegEarth dependencies</source>
        <translation>Installer les dépendances de SegEarth</translation>
    </message>
    <message>
        <source>Installation failed:</source>
        <translation>Échec de l&apos;installation :</translation>
    </message>
    <message>
        <source>Installed {}. Restart QGIS to use them.</source>
        <translation>Installé : {}. Redémarrez QGIS pour les utiliser.</translation>
    </message>
    <message>
        <source>Missing: {}. Click “Install dependencies…” to install them into a private folder of this QGIS profile, then restart QGIS.</source>
        <translation>Manquants : {}. Cliquez sur « Installer les dépendances… » pour les installer dans un dossier privé de ce profil QGIS, puis redémarrez QGIS.</translation>
    </message>
    <message>
        <source>Offline machines: install from wheels downloaded elsewhere (make wheelhouse)</source>
        <translation>Machines hors ligne : installer depuis des wheels téléchargés ailleurs (make wheelhouse)</translation>
    </message>
    <message>
        <source>Packages: {}</source>
        <translation>Paquets : {}</translation>
    </message>
    <message>
        <source>SegEarth needs Python packages that this QGIS does not have yet.</source>
        <translation>SegEarth a besoin de paquets Python que ce QGIS n&apos;a pas encore.</translation>
    </message>
    <message>
        <source>SegEarth needs Python packages that this QGIS does not have yet: see the SegEarth panel</source>
        <translation>SegEarth a besoin de paquets Python que ce QGIS n&apos;a pas encore : voir le panneau SegEarth</translation>
    </message>
    <message>
        <source>SegEarth will install these Python packages into a private folder of this QGIS profile. QGIS&apos;s own numpy, GDAL and geo packages are not touched.</source>
        <translation>SegEarth va installer ces paquets Python dans un dossier privé de ce profil QGIS. Les paquets numpy, GDAL et géographiques de QGIS ne sont pas modifiés.</translation>
    </message>
    <message>
        <source>The SegEarth engine is not installed: {}</source>
        <translation>Le moteur SegEarth n&apos;est pas installé : {}</translation>
    </message>
    <message>
        <source>The download can be large (torch alone is several hundred MB). Restart QGIS afterwards.</source>
        <translation>Le téléchargement peut être volumineux (torch seul fait plusieurs centaines de Mo). Redémarrez QGIS ensuite.</translation>
    </message>
    <message>
        <source>The installer could not start {}</source>
        <translation>L&apos;installateur n&apos;a pas pu lancer {}</translation>
    </message>
    <message>
        <source>Torch: {} — {}</source>
        <translation>Torch : {} — {}</translation>
    </message>
    <message>
        <source>Use a folder of wheels…</source>
        <translation>Utiliser un dossier de wheels…</translation>
    </message>
    <message>
        <source>pip finished but the folder could not be put in place: {}</source>
        <translation>pip a terminé mais le dossier n&apos;a pas pu être mis en place : {}</translation>
    </message>
    <message>
        <source>A raster layer and a question table are required</source>
        <translation>Une couche raster et une table de questions sont requises</translation>
    </message>
    <message>
        <source>An answer layer and a reference layer are required</source>
        <translation>Une couche de réponses et une couche de référence sont requises</translation>
    </message>
    <message>
        <source>Answer a question set</source>
        <translation>Répondre à un jeu de questions</translation>
    </message>
    <message>
        <source>Answer layer</source>
        <translation>Couche de réponses</translation>
    </message>
    <message>
        <source>Answers</source>
        <translation>Réponses</translation>
    </message>
    <message>
        <source>Asks every row of a table (CSV or any vector layer) its question on the raster: columns id, question, task (reasoning or referring), ref_filter (a filter expression on the reference layer), and the extent as the row's geometry, a wkt column or minx, miny, maxx, maxy (in the table's CRS, else the raster's). All answers go to one layer with the row id. With reference polygons each row is scored inside its extent (IoU, precision, recall, F1, matched / missed / false alarms) and gIoU / cIoU are given over the scored rows. Rows on the same extent share one encoding; a row that fails is reported and skipped.</source>
        <translation>Pose à chaque ligne d'une table (CSV ou toute couche vecteur) sa question sur le raster : colonnes id, question, task (reasoning ou referring), ref_filter (une expression de filtre sur la couche de référence), et l'emprise comme géométrie de la ligne, colonne wkt ou minx, miny, maxx, maxy (dans le SCR de la table, sinon celui du raster). Toutes les réponses vont dans une seule couche avec l'identifiant de ligne. Avec des polygones de référence, chaque ligne est évaluée dans son emprise (IoU, précision, rappel, F1, correspondances / manqués / fausses alertes) et gIoU / cIoU sont donnés sur les lignes évaluées. Les lignes sur la même emprise partagent un encodage ; une ligne en échec est signalée et ignorée.</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation>Annulé</translation>
    </message>
    <message>
        <source>Choose a reference polygon layer first</source>
        <translation>Choisissez d'abord une couche de polygones de référence</translation>
    </message>
    <message>
        <source>Extent (empty: everywhere)</source>
        <translation>Emprise (vide : partout)</translation>
    </message>
    <message>
        <source>False alarm (answer)</source>
        <translation>Fausse alerte (réponse)</translation>
    </message>
    <message>
        <source>IoU {iou:.3f}, precision {precision:.3f}, recall {recall:.3f}, F1 {f1:.3f}
answer {answer:.0f} m², reference {reference:.0f} m², overlap {overlap:.0f} m²
{references} references: {matched} matched, {missed} missed; {false_alarms} false alarms (match: IoU ≥ {match_iou:g})</source>
        <translation>IoU {iou:.3f}, précision {precision:.3f}, rappel {recall:.3f}, F1 {f1:.3f}
réponse {answer:.0f} m², référence {reference:.0f} m², recouvrement {overlap:.0f} m²
{references} références : {matched} trouvées, {missed} manquées ; {false_alarms} fausses alertes (correspondance : IoU ≥ {match_iou:g})</translation>
    </message>
    <message>
        <source>IoU, precision, recall and F1 of the selected result layer (or the last one) against the reference polygons, inside the extent the question was asked on</source>
        <translation>IoU, précision, rappel et F1 de la couche de résultat sélectionnée (ou de la dernière) par rapport aux polygones de référence, dans l'emprise sur laquelle la question a été posée</translation>
    </message>
    <message>
        <source>Match IoU</source>
        <translation>IoU de correspondance</translation>
    </message>
    <message>
        <source>Matched reference</source>
        <translation>Référence trouvée</translation>
    </message>
    <message>
        <source>Matched, missed and false alarms</source>
        <translation>Trouvées, manquées et fausses alertes</translation>
    </message>
    <message>
        <source>Measures how well answer polygons (a SegEarth result or any polygon layer) agree with reference polygons within an extent: IoU, precision, recall and F1 of the union areas (m², geodesic in geographic CRSs), computed as `segearth eval` computes IoU. Each reference is matched one-to-one to an answer polygon when their IoU reaches the match IoU (greedy, highest IoU first); unmatched references are 'missed', unmatched answer polygons 'false_alarm'. Layers may be in any CRS; scores are measured in the answer layer's CRS.</source>
        <translation>Mesure l'accord entre des polygones de réponse (un résultat SegEarth ou toute couche de polygones) et des polygones de référence dans une emprise : IoU, précision, rappel et F1 des surfaces réunies (m², géodésiques dans les SCR géographiques), calculés comme `segearth eval` calcule l'IoU. Chaque référence est associée à un seul polygone de réponse quand leur IoU atteint l'IoU de correspondance (glouton, IoU la plus haute d'abord) ; les références non associées sont « missed », les polygones de réponse non associés « false_alarm ». Les couches peuvent être dans n'importe quel SCR ; les mesures se font dans le SCR de la couche de réponses.</translation>
    </message>
    <message>
        <source>Missed reference</source>
        <translation>Référence manquée</translation>
    </message>
    <message>
        <source>Model {} on {}; {} rows</source>
        <translation>Modèle {} sur {} ; {} lignes</translation>
    </message>
    <message>
        <source>Per-row scores</source>
        <translation>Scores par ligne</translation>
    </message>
    <message>
        <source>Question table</source>
        <translation>Table de questions</translation>
    </message>
    <message>
        <source>Reference filter</source>
        <translation>Filtre sur la référence</translation>
    </message>
    <message>
        <source>Reference filter for rows without ref_filter</source>
        <translation>Filtre sur la référence pour les lignes sans ref_filter</translation>
    </message>
    <message>
        <source>Reference filter {}: {}</source>
        <translation>Filtre sur la référence {} : {}</translation>
    </message>
    <message>
        <source>Reference polygons</source>
        <translation>Polygones de référence</translation>
    </message>
    <message>
        <source>Reference polygons (any CRS) to score the selected result against</source>
        <translation>Polygones de référence (tout SCR) auxquels comparer le résultat sélectionné</translation>
    </message>
    <message>
        <source>Rows</source>
        <translation>Lignes</translation>
    </message>
    <message>
        <source>Rows answered</source>
        <translation>Lignes répondues</translation>
    </message>
    <message>
        <source>Rows failed</source>
        <translation>Lignes en échec</translation>
    </message>
    <message>
        <source>Rows scored</source>
        <translation>Lignes évaluées</translation>
    </message>
    <message>
        <source>Score against reference</source>
        <translation>Évaluer par rapport à une référence</translation>
    </message>
    <message>
        <source>Scores of {} against {}</source>
        <translation>Scores de {} par rapport à {}</translation>
    </message>
    <message>
        <source>Scoring failed: {}</source>
        <translation>Échec de l'évaluation : {}</translation>
    </message>
    <message>
        <source>Scoring…</source>
        <translation>Évaluation…</translation>
    </message>
    <message>
        <source>SegEarth scoring</source>
        <translation>Évaluation SegEarth</translation>
    </message>
    <message>
        <source>Select a SegEarth result layer to score</source>
        <translation>Sélectionnez une couche de résultat SegEarth à évaluer</translation>
    </message>
    <message>
        <source>Summary</source>
        <translation>Résumé</translation>
    </message>
    <message>
        <source>The SegEarth engine cannot be imported: {}</source>
        <translation>Le moteur SegEarth ne peut pas être importé : {}</translation>
    </message>
    <message>
        <source>The answer layer has no valid CRS: areas cannot be measured</source>
        <translation>La couche de réponses n'a pas de SCR valide : les surfaces ne peuvent pas être mesurées</translation>
    </message>
    <message>
        <source>The question table has no rows</source>
        <translation>La table de questions n'a aucune ligne</translation>
    </message>
    <message>
        <source>gIoU {:.4f}, cIoU {:.4f} over {} scored rows</source>
        <translation>gIoU {:.4f}, cIoU {:.4f} sur {} lignes évaluées</translation>
    </message>
    <message>
        <source>{} of {} rows answered, {} failed; {} encodings</source>
        <translation>{} lignes sur {} répondues, {} en échec ; {} encodages</translation>
    </message>
    <message>
        <source>SegEarth: preparing the view</source>
        <translation>SegEarth : préparation de la vue</translation>
    </message>
    <message>
        <source>View prepared for the next question</source>
        <translation>Vue préparée pour la prochaine question</translation>
    </message>
    <message>
        <source>Prepare the view while I type</source>
        <translation>Préparer la vue pendant la saisie</translation>
    </message>
    <message>
        <source>Encode the view a question would use while you type it, so that the answer comes sooner; this uses the processor while you type</source>
        <translation>Encoder la vue qu'utiliserait la question pendant que vous la tapez, pour que la réponse arrive plus tôt ; cela utilise le processeur pendant la saisie</translation>
    </message>
    <message>
        <source>Exporting the model's ONNX graphs (once)</source>
        <translation>Export des graphes ONNX du modèle (une seule fois)</translation>
    </message>
    <message>
        <source>Reference:</source>
        <translation>Référence :</translation>
    </message>
    <message>
        <source> The existing file is unchanged.</source>
        <translation> Le fichier existant est inchangé.</translation>
    </message>
    <message>
        <source>Cancelled: {}; nothing was added</source>
        <translation>Annulé : {} ; rien n'a été ajouté</translation>
    </message>
    <message>
        <source>Cancelling: {}</source>
        <translation>Annulation : {}</translation>
    </message>
    <message>
        <source>Export cancelled: nothing was written.</source>
        <translation>Export annulé : rien n'a été écrit.</translation>
    </message>
    <message>
        <source>Exported to the layer "{}" of {}; its other layers were kept: {}</source>
        <translation>Exporté dans la couche « {} » de {} ; ses autres couches ont été conservées : {}</translation>
    </message>
    <message>
        <source>Exporting to {}…</source>
        <translation>Export vers {}…</translation>
    </message>
    <message>
        <source>No reference polygon lies in the extent the question was asked on: the scores compare the answer with nothing.</source>
        <translation>Aucun polygone de référence ne se trouve dans l'emprise sur laquelle la question a été posée : les scores comparent la réponse à rien.</translation>
    </message>
    <message>
        <source>Press and drag on the map to draw a rectangle; a click alone selects nothing</source>
        <translation>Cliquez et faites glisser sur la carte pour tracer un rectangle ; un simple clic ne sélectionne rien</translation>
    </message>
    <message>
        <source>Question cancelled: {}</source>
        <translation>Question annulée : {}</translation>
    </message>
    <message>
        <source>Scores not added: {}</source>
        <translation>Scores non ajoutés : {}</translation>
    </message>
    <message>
        <source>SegEarth: exporting to {}</source>
        <translation>SegEarth : export vers {}</translation>
    </message>
    <message>
        <source>The disk is full ({}): {} was not written.</source>
        <translation>Le disque est plein ({}) : {} n'a pas été écrit.</translation>
    </message>
    <message>
        <source>The model was trained on English questions: this answer to a question in another language may be unreliable.</source>
        <translation>Le modèle a été entraîné sur des questions en anglais : cette réponse à une question posée dans une autre langue peut être peu fiable.</translation>
    </message>
    <message>
        <source>The output {} cannot be written: {} ({}). Nothing was computed.</source>
        <translation>La sortie {} ne peut pas être écrite : {} ({}). Rien n'a été calculé.</translation>
    </message>
    <message>
        <source>The output {} cannot be written: {}. Nothing was computed.</source>
        <translation>La sortie {} ne peut pas être écrite : {}. Rien n'a été calculé.</translation>
    </message>
    <message>
        <source>The question table has no "question" column (its columns: {}). Nothing was run.</source>
        <translation>La table de questions n'a pas de colonne « question » (ses colonnes : {}). Rien n'a été exécuté.</translation>
    </message>
    <message>
        <source>The reference filter {} matches no reference polygon here: the scores compare the answer with nothing.</source>
        <translation>Le filtre de référence {} ne retient aucun polygone de référence ici : les scores comparent la réponse à rien.</translation>
    </message>
    <message>
        <source>Too large for this resolution: the answer would be a grid of {}. Set Resolution to at least {:.3g} map units per pixel, or choose a smaller extent.</source>
        <translation>Trop grand pour cette résolution : la réponse serait une grille de {}. Réglez Résolution à au moins {:.3g} unités de carte par pixel, ou choisissez une emprise plus petite.</translation>
    </message>
    <message>
        <source>Too large: the answer would be a grid of {}. Choose a smaller extent, or a coarser resolution.</source>
        <translation>Trop grand : la réponse serait une grille de {}. Choisissez une emprise plus petite, ou une résolution plus grossière.</translation>
    </message>
    <message>
        <source>Write error ({}): the output was not written.</source>
        <translation>Erreur d'écriture ({}) : la sortie n'a pas été écrite.</translation>
    </message>
    <message>
        <source>Write error ({}): {} was not written.</source>
        <translation>Erreur d'écriture ({}) : {} n'a pas été écrit.</translation>
    </message>
    <message>
        <source>a feature could not be written</source>
        <translation>une entité n'a pas pu être écrite</translation>
    </message>
    <message>
        <source>free space unknown</source>
        <translation>espace libre inconnu</translation>
    </message>
    <message>
        <source>row {}: {}</source>
        <translation>ligne {} : {}</translation>
    </message>
    <message>
        <source>source raster</source>
        <translation>raster source</translation>
    </message>
    <message>
        <source>the file read back holds {} of {} features</source>
        <translation>le fichier relu contient {} des {} entités</translation>
    </message>
    <message>
        <source>the output could not be flushed</source>
        <translation>la sortie n'a pas pu être écrite sur le disque</translation>
    </message>
    <message>
        <source>the project was closed (a new or another project was opened)</source>
        <translation>le projet a été fermé (un nouveau projet ou un autre projet a été ouvert)</translation>
    </message>
    <message>
        <source>the raster layer {} was removed from the project</source>
        <translation>la couche raster {} a été retirée du projet</translation>
    </message>
    <message>
        <source>{} free on that disk</source>
        <translation>{} libres sur ce disque</translation>
    </message>
    <message>
        <source>{} holds other layers: {}. They are kept; only the layer "{}" is written (replaced if it is there). Go on?</source>
        <translation>{} contient d'autres couches : {}. Elles sont conservées ; seule la couche « {} » est écrite (remplacée si elle existe). Continuer ?</translation>
    </message>
    <message>
        <source>{} is a file of the layer "{}": exporting there would destroy it. Choose another file name.</source>
        <translation>{} est un fichier de la couche « {} » : y exporter la détruirait. Choisissez un autre nom de fichier.</translation>
    </message>
    <message>
        <source>{} is a file: choose the model folder, the one holding config.json (here: {})</source>
        <translation>{} est un fichier : choisissez le dossier du modèle, celui qui contient config.json (ici : {})</translation>
    </message>
    <message>
        <source>{} is a folder; choose a file name</source>
        <translation>{} est un dossier ; choisissez un nom de fichier</translation>
    </message>
    <message>
        <source>{} is not a folder</source>
        <translation>{} n'est pas un dossier</translation>
    </message>
    <message>
        <source>{} is read-only</source>
        <translation>{} est en lecture seule</translation>
    </message>
    <message>
        <source>{} × {} pixels ({:.1f} gigapixels)</source>
        <translation>{} × {} pixels ({:.1f} gigapixels)</translation>
    </message>
    <message>
        <source>SegEarth: downloading {}</source>
        <translation>SegEarth : téléchargement de {}</translation>
    </message>
    <message>
        <source>{} of {}</source>
        <translation>{} sur {}</translation>
    </message>
    <message>
        <source>Downloading {}: {}</source>
        <translation>Téléchargement de {} : {}</translation>
    </message>
    <message>
        <source>Folder for downloaded models</source>
        <translation>Dossier des modèles téléchargés</translation>
    </message>
    <message>
        <source>Each model goes into a folder of its own here; it needs about 7 GB with what its first load writes</source>
        <translation>Chaque modèle va dans son propre dossier ici ; il lui faut environ 7 Go avec ce qu'écrit son premier chargement</translation>
    </message>
    <message>
        <source>Download to</source>
        <translation>Télécharger dans</translation>
    </message>
    <message>
        <source>The model hub's address; a mirror such as https://hf-mirror.com where the Hugging Face hub cannot be reached. QGIS's proxy (Settings &gt; Options &gt; Network) is used</source>
        <translation>Adresse du hub de modèles ; un miroir tel que https://hf-mirror.com là où le hub Hugging Face est inaccessible. Le proxy de QGIS (Préférences &gt; Options &gt; Réseau) est utilisé</translation>
    </message>
    <message>
        <source>Hub address</source>
        <translation>Adresse du hub</translation>
    </message>
    <message>
        <source>Checking what was fetched before: {}</source>
        <translation>Vérification de ce qui a déjà été téléchargé : {}</translation>
    </message>
    <message>
        <source>Waiting: {} ({} fetched)</source>
        <translation>En attente : {} ({} téléchargés)</translation>
    </message>
    <message>
        <source>Verifying {} (sha256)…</source>
        <translation>Vérification de {} (sha256)…</translation>
    </message>
    <message>
        <source>Downloaded and verified: {}</source>
        <translation>Téléchargé et vérifié : {}</translation>
    </message>
    <message>
        <source>Connecting to {}…</source>
        <translation>Connexion à {}…</translation>
    </message>
    <message>
        <source>the model hub</source>
        <translation>le hub de modèles</translation>
    </message>
    <message>
        <source>Downloading {}: {} (no data for {} s)</source>
        <translation>Téléchargement de {} : {} (aucune donnée depuis {} s)</translation>
    </message>
    <message>
        <source>{} left</source>
        <translation>reste {}</translation>
    </message>
    <message>
        <source>exporting the image encoder to ONNX (step 1 of 3)</source>
        <translation>export de l'encodeur d'image en ONNX (étape 1 sur 3)</translation>
    </message>
    <message>
        <source>exporting the mask decoder to ONNX (step 2 of 3)</source>
        <translation>export du décodeur de masques en ONNX (étape 2 sur 3)</translation>
    </message>
    <message>
        <source>preparing the language model (step 3 of 3)</source>
        <translation>préparation du modèle de langage (étape 3 sur 3)</translation>
    </message>
    <message>
        <source>Preparing the model (once): {} · {}</source>
        <translation>Préparation du modèle (une seule fois) : {} · {}</translation>
    </message>
    <message>
        <source>The model could not be prepared</source>
        <translation>Le modèle n'a pas pu être préparé</translation>
    </message>
    <message>
        <source>Preparation cancelled</source>
        <translation>Préparation annulée</translation>
    </message>
    <message>
        <source>The model will be prepared at its next load (a question, or choosing the folder again).</source>
        <translation>Le modèle sera préparé à son prochain chargement (une question, ou en choisissant à nouveau le dossier).</translation>
    </message>
    <message>
        <source>{} of about {} written</source>
        <translation>{} écrits sur environ {}</translation>
    </message>
    <message>
        <source>about {} to write</source>
        <translation>environ {} à écrire</translation>
    </message>
    <message>
        <source>No model yet: download it or choose its folder (top of this panel)</source>
        <translation>Pas encore de modèle : téléchargez-le ou choisissez son dossier (en haut de ce panneau)</translation>
    </message>
    <message>
        <source>Choose a raster layer, type a question (e.g. where could a small plane land?) and press Run.</source>
        <translation>Choisissez une couche raster, tapez une question (p. ex. où un petit avion pourrait-il atterrir ?) et appuyez sur Lancer.</translation>
    </message>
    <message>
        <source>The model folder is not usable: {}</source>
        <translation>Le dossier du modèle n'est pas utilisable : {}</translation>
    </message>
    <message>
        <source>Choose folder…</source>
        <translation>Choisir un dossier…</translation>
    </message>
    <message>
        <source>A folder that already holds a SegEarth model (config.json and *.safetensors)</source>
        <translation>Un dossier qui contient déjà un modèle SegEarth (config.json et *.safetensors)</translation>
    </message>
    <message>
        <source>Got it</source>
        <translation>Compris</translation>
    </message>
    <message>
        <source>First, get the model</source>
        <translation>D'abord, obtenir le modèle</translation>
    </message>
    <message>
        <source>Model downloaded and verified</source>
        <translation>Modèle téléchargé et vérifié</translation>
    </message>
    <message>
        <source>Ready for a first question</source>
        <translation>Prêt pour une première question</translation>
    </message>
    <message>
        <source>SegEarth answers with the {} model: a download of about {} into {}; its first load then writes up to about {} more beside it. Or choose a folder that already holds the model.</source>
        <translation>SegEarth répond avec le modèle {} : un téléchargement d'environ {} dans {} ; son premier chargement écrit ensuite jusqu'à environ {} de plus à côté. Ou choisissez un dossier qui contient déjà le modèle.</translation>
    </message>
    <message>
        <source>Downloading the model</source>
        <translation>Téléchargement du modèle</translation>
    </message>
    <message>
        <source>Resume download</source>
        <translation>Reprendre le téléchargement</translation>
    </message>
    <message>
        <source>Preparing the model (once)</source>
        <translation>Préparation du modèle (une seule fois)</translation>
    </message>
    <message>
        <source>The first load exports the model for ONNX Runtime and prepares the language model; later loads take seconds.</source>
        <translation>Le premier chargement exporte le modèle pour ONNX Runtime et prépare le modèle de langage ; les chargements suivants prennent quelques secondes.</translation>
    </message>
    <message>
        <source>This is a TEST model with random weights: its answers mean nothing.</source>
        <translation>C'est un modèle de TEST aux poids aléatoires : ses réponses ne signifient rien.</translation>
    </message>
    <message>
        <source>{} in {}, every file checked (sha256). Loading it for the first time…</source>
        <translation>{} dans {}, chaque fichier vérifié (sha256). Premier chargement…</translation>
    </message>
    <message>
        <source>{} of it were fetched before: Download goes on from there.</source>
        <translation>{} ont déjà été téléchargés : le téléchargement reprend à partir de là.</translation>
    </message>
    <message>
        <source>Resume download ({} left)</source>
        <translation>Reprendre le téléchargement (reste {})</translation>
    </message>
    <message>
        <source>Download ({})</source>
        <translation>Télécharger ({})</translation>
    </message>
    <message>
        <source>Download cancelled</source>
        <translation>Téléchargement annulé</translation>
    </message>
    <message>
        <source>Download failed</source>
        <translation>Échec du téléchargement</translation>
    </message>
    <message>
        <source>A download is already running</source>
        <translation>Un téléchargement est déjà en cours</translation>
    </message>
    <message>
        <source>unknown error</source>
        <translation>erreur inconnue</translation>
    </message>
    <message>
        <source>({} fetched so far are kept: Download goes on from there.)</source>
        <translation>({} déjà téléchargés sont conservés : le téléchargement reprend à partir de là.)</translation>
    </message>
    <message>
        <source>Downloading {} into {}</source>
        <translation>Téléchargement de {} dans {}</translation>
    </message>
    <message>
        <source>{} fetched so far are kept in {}: Download goes on from there.</source>
        <translation>{} déjà téléchargés sont conservés dans {} : le téléchargement reprend à partir de là.</translation>
    </message>
    <message>
        <source>Model downloaded and verified: {}</source>
        <translation>Modèle téléchargé et vérifié : {}</translation>
    </message>
    <message>
        <source>Download failed: {}</source>
        <translation>Échec du téléchargement : {}</translation>
    </message>
    <message>
        <source>The download cannot start: {}</source>
        <translation>Le téléchargement ne peut pas démarrer : {}</translation>
    </message>
    <message>
        <source>Repo</source>
        <translation>Dépôt</translation>
    </message>
    <message>
        <source>Waiting: {}</source>
        <translation>En attente : {}</translation>
    </message>
</context>
</TS>
