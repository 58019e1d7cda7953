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
        <source>Export failed: {}</source>
        <translation>Échec de l'export : {}</translation>
    </message>
    <message>
        <source>{} exists; choose another name or allow overwriting</source>
        <translation>{} existe ; choisissez un autre nom ou autorisez l'écrasement</translation>
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
        <source>Hub</source>
        <translation>Hub</translation>
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
        <source>Install dependencies</source>
        <translation>Installer les dépendances</translation>
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
        <source>SegEarth download</source>
        <translation>Téléchargement SegEarth</translation>
    </message>
    <message>
        <source>All dependencies are installed</source>
        <translation>Toutes les dépendances sont installées</translation>
    </message>
    <message>
        <source>SegEarth install</source>
        <translation>Installation SegEarth</translation>
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
        <source>Downloading {}@{}…</source>
        <translation>Téléchargement de {}@{}…</translation>
    </message>
    <message>
        <source>Run this command? Packages go to a private folder; QGIS's numpy and GDAL are not touched.

{}</source>
        <translation>Lancer cette commande ? Les paquets vont dans un dossier privé ; numpy et GDAL de QGIS ne sont pas modifiés.

{}</translation>
    </message>
    <message>
        <source>Dependencies installed; restart QGIS to use them</source>
        <translation>Dépendances installées ; redémarrez QGIS pour les utiliser</translation>
    </message>
    <message>
        <source>The SegEarth engine is not installed. Install it with: {}</source>
        <translation>Le moteur SegEarth n'est pas installé. Installez-le avec : {}</translation>
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
        <source>Model downloaded to {}</source>
        <translation>Modèle téléchargé dans {}</translation>
    </message>
    <message>
        <source>The SegEarth engine is not installed ({})</source>
        <translation>Le moteur SegEarth n'est pas installé ({})</translation>
    </message>
    <message>
        <source>Download failed (is the Hugging Face hub reachable?): {}</source>
        <translation>Échec du téléchargement (le hub Hugging Face est-il joignable ?) : {}</translation>
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
        <source>SegEarth cannot start: {}. Install it with: {}</source>
        <translation>SegEarth ne peut pas démarrer : {}. Installez-le avec : {}</translation>
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
</context>
</TS>
